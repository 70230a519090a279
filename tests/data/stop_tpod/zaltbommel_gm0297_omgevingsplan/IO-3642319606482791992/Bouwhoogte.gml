<geo:GeoInformatieObjectVersie schemaversie="1.3.0" xmlns:geo="https://standaarden.overheid.nl/stop/imop/geo/">
  <geo:FRBRWork>/join/id/regdata/gm0297/2019/Bouwhoogte</geo:FRBRWork>
  <geo:FRBRExpression>/join/id/regdata/gm0297/2019/Bouwhoogte/nld@2019-06-18;3520</geo:FRBRExpression>
  <geo:eenheidlabel>meters boven maaiveld</geo:eenheidlabel>
  <geo:eenheidID>http://standaarden.omgevingswet.overheid.nl/eenheid/id/concept/Meter</geo:eenheidID>
  <geo:normlabel>maximum bouwhoogte bedrijfsgebouw</geo:normlabel>
  <geo:normID>http://standaarden.omgevingswet.overheid.nl/typenorm/id/concept/MaximumBouwhoogte</geo:normID>
  <geo:locaties>
    <geo:Locatie>
      <geo:naam>Zuilichem industriegebied 1</geo:naam>
      <geo:geometrie>
	<basisgeo:Geometrie gml:id="id-772B4B37-69F8-4671-B92E-3BCED242409D-xx" xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <basisgeo:id>772B4B37-69F8-4671-B92E-3BCED242409D</basisgeo:id>
	  <basisgeo:geometrie xmlns="http://www.w3.org/1999/xlink">
	    <gml:MultiSurface gml:id="id-772B4B37-69F8-4671-B92E-3BCED242409D" srsName="urn:ogc:def:crs:EPSG::28992">
	      <gml:surfaceMember>
		<gml:Polygon>
		  <gml:exterior>
		    <gml:LinearRing>
		      <gml:posList>138445.727 424075.759 138445.009 424074.084 138250.611 423503.039 138150.374 423533.414 138043.567 423637.255 138064.818 423652.089 138072.431 423659.852 138190.827 423998.783 138226.769 424096.045 138243.501 424141.337 138358.602 424107.221 138445.727 424075.759</gml:posList>
		    </gml:LinearRing>
		  </gml:exterior>
		</gml:Polygon>
	      </gml:surfaceMember>
	    </gml:MultiSurface>
	  </basisgeo:geometrie>
	</basisgeo:Geometrie>
      </geo:geometrie>
      <geo:kwantitatieveNormwaarde>7</geo:kwantitatieveNormwaarde>
    </geo:Locatie>
    <geo:Locatie>
      <geo:naam>Zuilichem industriegebied 2</geo:naam>
      <geo:geometrie>
	<basisgeo:Geometrie gml:id="id-D24C3416-4790-461C-A4D0-A82BA60CA7D6-xx" xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <basisgeo:id>D24C3416-4790-461C-A4D0-A82BA60CA7D6</basisgeo:id>
	  <basisgeo:geometrie xmlns="http://www.w3.org/1999/xlink">
	    <gml:MultiSurface gml:id="id-D24C3416-4790-461C-A4D0-A82BA60CA7D6-0" srsName="urn:ogc:def:crs:EPSG::28992">
	      <gml:surfaceMember>
		<gml:Polygon>
		  <gml:exterior>
		    <gml:LinearRing>
		      <gml:posList>137694.843 423776.845 137796.375 424061.054 137794.312 424072.899 137805.191 424079.548 137881.347 424058.794 137991.926 424125.172 138019.514 424125.078 138088.521 424135.971 138219.403 424092.042 138226.769 424096.045 138190.827 423998.783 138072.431 423659.852 138064.818 423652.089 138037.853 423633.267 137776.317 423775.241 137694.843 423776.845</gml:posList>
		    </gml:LinearRing>
		  </gml:exterior>
		</gml:Polygon>
	      </gml:surfaceMember>
	    </gml:MultiSurface>
	  </basisgeo:geometrie>
	</basisgeo:Geometrie>
      </geo:geometrie>
      <geo:kwantitatieveNormwaarde>7</geo:kwantitatieveNormwaarde>
    </geo:Locatie>
    <geo:Locatie>
      <geo:naam>Zuilichem industriegebied 3</geo:naam>
      <geo:geometrie>
	<basisgeo:Geometrie gml:id="id-954BA8CC-6E90-4698-BEEC-005A65C63E98-xx" xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <basisgeo:id>954BA8CC-6E90-4698-BEEC-005A65C63E98</basisgeo:id>
	  <basisgeo:geometrie xmlns="http://www.w3.org/1999/xlink">
	    <gml:MultiSurface gml:id="id-954BA8CC-6E90-4698-BEEC-005A65C63E98-0" srsName="urn:ogc:def:crs:EPSG::28992">
	      <gml:surfaceMember>
		<gml:Polygon>
		  <gml:exterior>
		    <gml:LinearRing>
		      <gml:posList>138722.528 424375.166 138722.178 424375.173 138138.984 424441.997 138138.413 424442.076 138141.293 424457.144 138068.115 424472.076 138062.097 424480.953 138065.047 424558.971 138065.073 424559.667 138069.669 424681.187 138092.013 424675.237 138108.572 424669.285 138136.973 424668.01 138163.044 424674.999 138249.998 424716.05 138297.648 424733.715 138332.534 424735.245 138362.115 424732.199 138386.952 424725.03 138421.225 424707.794 138531.667 424631.866 138552.954 424627.067 138739.778 424621.085 138739.642 424619.995 138739.543 424619.105 138739.712 424616.201 138739.83 424607.779 138739.612 424602.139 138739.211 424593.251 138738.912 424588.49 138738.592 424583.395 138738.277 424577.667 138737.369 424567.657 138735.234 424538.748 138734.728 424531.563 138733.93 424523.8 138732.885 424511.865 138731.84 424498.118 138731.098 424488.407 138729.305 424464.783 138728.527 424454.605 138726.661 424430.191 138725.912 424420.291 138725.061 424408.924 138723.815 424392.451 138723.108 424382.919 138723.072 424382.374 138722.539 424375.322 138722.528 424375.166</gml:posList>
		    </gml:LinearRing>
		  </gml:exterior>
		</gml:Polygon>
	      </gml:surfaceMember>
	    </gml:MultiSurface>
	  </basisgeo:geometrie>
	</basisgeo:Geometrie>
      </geo:geometrie>
      <geo:kwantitatieveNormwaarde>13</geo:kwantitatieveNormwaarde>
    </geo:Locatie>
    <geo:Locatie>
      <geo:naam>Zuilichem industriegebied 4</geo:naam>
      <geo:geometrie>
	<basisgeo:Geometrie gml:id="id-EFAAD5E9-B181-4C22-9C3B-B290F4586D82-xx" xmlns:basisgeo="http://www.geostandaarden.nl/basisgeometrie/1.0" xmlns:gml="http://www.opengis.net/gml/3.2">
	  <basisgeo:id>EFAAD5E9-B181-4C22-9C3B-B290F4586D82</basisgeo:id>
	  <basisgeo:geometrie xmlns="http://www.w3.org/1999/xlink">
	    <gml:MultiSurface gml:id="id-EFAAD5E9-B181-4C22-9C3B-B290F4586D82-0" srsName="urn:ogc:def:crs:EPSG::28992">
	      <gml:surfaceMember>
		<gml:Polygon>
		  <gml:exterior>
		    <gml:LinearRing>
		      <gml:posList>138706.938 424151.59 138706.231 424150.021 138676.269 423970.246 138647.817 423986.982 138518.61 424049.441 138358.602 424107.221 138243.501 424141.337 138089.362 424185.042 138100.021 424241.202 138138.413 424442.076 138138.984 424441.997 138722.178 424375.173 138722.528 424375.166 138722.481 424374.532 138719.367 424335.213 138716.108 424293.692 138713.162 424255.018 138709.0 424200.984 138704.752 424152.368 138706.938 424151.59</gml:posList>
		    </gml:LinearRing>
		  </gml:exterior>
		</gml:Polygon>
	      </gml:surfaceMember>
	    </gml:MultiSurface>
	  </basisgeo:geometrie>
	</basisgeo:Geometrie>
      </geo:geometrie>
      <geo:kwantitatieveNormwaarde>13</geo:kwantitatieveNormwaarde>
    </geo:Locatie>
  </geo:locaties>
</geo:GeoInformatieObjectVersie>