<geo:GeoInformatieObjectVersie schemaversie="1.3.0" xmlns:geo="https://standaarden.overheid.nl/stop/imop/geo/">
  <geo:FRBRWork>/join/id/regdata/gm0297/2019/Centrumgebied</geo:FRBRWork>
  <geo:FRBRExpression>/join/id/regdata/gm0297/2019/Centrumgebied/nld@2019-06-18;3520</geo:FRBRExpression>
  <geo:locaties>
    <geo:Locatie>
      <geo:naam>Centrumgebied</geo:naam>
      <geo:geometrie>
	<basisgeo:Geometrie gml:id="id-D28AF779-7EDD-4A88-8B11-809798F53636-xx" xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <basisgeo:id>D28AF779-7EDD-4A88-8B11-809798F53636</basisgeo:id>
	  <basisgeo:geometrie xmlns="http://www.w3.org/1999/xlink">
	    <gml:MultiSurface gml:id="id-D28AF779-7EDD-4A88-8B11-809798F53636" srsName="urn:ogc:def:crs:EPSG::28992">
	      <gml:surfaceMember>
		<gml:Polygon>
		  <gml:exterior>
		    <gml:LinearRing>
		      <gml:posList>137881.347 424058.794 137798.659 424081.328 137688.575 424159.586 137647.348 424204.23 137571.714 424271.246 137481.668 424160.304 137281.973 424250.009 137248.0 424394.761 137082.363 424361.973 137075.228 424295.245 137005.822 424173.113 136964.561 424206.637 136951.127 424306.816 136965.001 424329.017 137041.382 424473.376 137073.468 424476.287 137145.938 424467.039 137296.551 424472.469 137504.066 424649.75 137592.188 424747.482 137594.064 424749.568 137615.075 424774.95 137643.392 424793.354 137697.774 424827.088 137932.124 424792.909 138069.669 424681.187 138065.073 424559.667 138062.097 424480.953 138068.115 424472.076 138141.293 424457.144 138100.021 424241.202 138088.252 424179.195 138234.309 424137.818 138219.403 424092.042 138088.521 424135.971 138019.514 424125.078 137991.926 424125.172 137881.347 424058.794</gml:posList>
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