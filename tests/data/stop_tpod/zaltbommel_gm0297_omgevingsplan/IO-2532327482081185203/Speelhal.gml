<geo:GeoInformatieObjectVersie schemaversie="1.3.0" xmlns:geo="https://standaarden.overheid.nl/stop/imop/geo/">
  <geo:FRBRWork>/join/id/regdata/gm0297/2019/Speelhal</geo:FRBRWork>
  <geo:FRBRExpression>/join/id/regdata/gm0297/2019/Speelhal/nld@2019-06-18;3520</geo:FRBRExpression>
  <geo:locaties>
    <geo:Locatie>
      <geo:naam>exploiteren speelautomatenhal</geo:naam>
      <geo:geometrie>
	<basisgeo:Geometrie gml:id="id-33B7D2D0-BF32-4CA1-B7F6-EB0FEF30175A-xx" xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <basisgeo:id>33B7D2D0-BF32-4CA1-B7F6-EB0FEF30175A</basisgeo:id>
	  <basisgeo:geometrie xmlns="http://www.w3.org/1999/xlink">
	    <gml:MultiSurface gml:id="id-33B7D2D0-BF32-4CA1-B7F6-EB0FEF30175A" srsName="urn:ogc:def:crs:EPSG::28992">
	      <gml:surfaceMember>
		<gml:Polygon>
		  <gml:exterior>
		    <gml:LinearRing>
		      <gml:posList>138189.292 424664.587 138330.181 424712.303 138554.555 424598.429 138934.733 424595.103 139068.937 424523.441 138963.904 423863.77 138097.428 424206.055 138142.308 424434.282 138189.292 424664.587</gml:posList>
		    </gml:LinearRing>
		  </gml:exterior>
		</gml:Polygon>
	      </gml:surfaceMember>
	    </gml:MultiSurface>
	  </basisgeo:geometrie>
	</basisgeo:Geometrie>
      </geo:geometrie>
    </geo:Locatie>
  </geo:locaties>
</geo:GeoInformatieObjectVersie>